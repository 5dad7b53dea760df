"""The API's JSON Schema files (requests.json, responses.json, routes.json) and the validators generated
from them (validators.py, by scripts/generate_api_artifacts.py)."""


class JsonSchemaValueException(ValueError):
    """What a generated validator raises at the first violation (fastjsonschema's exception, same
    attributes, so the generated code needs no fastjsonschema at run time)."""

    def __init__(self, message: str, value: object = None, name: str | None = None, definition: object = None,
                 rule: str | None = None) -> None:
        super().__init__(message)
        self.message, self.value, self.name, self.definition, self.rule = message, value, name, definition, rule


def closed_object(data, name_prefix, definition, validate_fields, custom_formats):
    """What fastjsonschema checks on a closed object, in its order and with its errors: the type, the
    required keys, each field (``validate_fields``: one call per shared field group, then the body's own
    fields), then no key outside ``definition["properties"]``. Each generated ``validate_<Request>``
    calls it, so the request bodies share one copy of this logic (validators.py)."""
    name = name_prefix or "data"
    if not isinstance(data, dict):
        raise JsonSchemaValueException(f"{name} must be object", value=data, name=name, definition=definition, rule="type")
    missing = set(definition["required"]) - data.keys()
    if missing:
        raise JsonSchemaValueException(f"{name} must contain {sorted(missing)} properties", value=data, name=name,
                                       definition=definition, rule="required")
    validate_fields(data, custom_formats, name_prefix)
    unknown = set(data) - definition["properties"].keys()
    if unknown:
        raise JsonSchemaValueException(f"{name} must not contain {unknown} properties", value=data, name=name,
                                       definition=definition, rule="additionalProperties")
    return data
