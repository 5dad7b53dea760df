"""The API's JSON Schema files (requests.json, responses.json, routes.json) and the validators generated
from them (validators.py, by scripts/generate_api_artifacts.py)."""


class JsonSchemaValueException(ValueError):
    """What a generated validator raises at the first violation (fastjsonschema's exception, same
    attributes, so the generated code needs no fastjsonschema at run time)."""

    def __init__(self, message: str, value: object = None, name: str | None = None, definition: object = None,
                 rule: str | None = None) -> None:
        super().__init__(message)
        self.message, self.value, self.name, self.definition, self.rule = message, value, name, definition, rule
