"""The ``knowledge_bases`` section: grounded answers from your own documents (name -> settings).

Absent or empty means no knowledge base (and no knowledge stack). Every key but ``description`` has a default::

    "knowledge_bases": {
      "operations-guide": {
        "description": "How to deploy and run this stack",
        "source": {"bucket_arn": null, "inclusion_prefixes": ["docs/"], "sample_corpus": true},
        "embedding": {"model": "amazon.titan-embed-text-v2:0", "dimensions": 1024},
        "chunking": {"strategy": "fixed_size", "max_tokens": 300, "overlap_percentage": 20},
        "filterable_keys": ["topic"],
        "retrieval": {"max_results": 5, "min_score": 0.4},
        "grounded_use_cases": ["answer"],
        "grounding_check": {"grounding_threshold": 0.75, "relevance_threshold": 0.5, "below_threshold": "reject"},
        "retrieved_text_pii": "mask"
      }
    }

Chunking and the embedding model are create-only in CloudFormation (``AWS::Bedrock::DataSource`` ChunkingConfiguration,
``AWS::Bedrock::KnowledgeBase`` VectorKnowledgeBaseConfiguration, ``AWS::S3Vectors::Index`` Dimension): changing them
replaces the data source / knowledge base and index, which the next deploy re-ingests from the source bucket. The
bounds and defaults live in ``cdk/components/knowledge_base/props.py``.
"""

from __future__ import annotations

import json
import re
from functools import lru_cache
from pathlib import Path

from cdk.components.knowledge_base.props import (
    BEDROCK_NON_FILTERABLE_KEYS,
    BELOW_THRESHOLD_ACTIONS,
    CHUNK_MAX_TOKENS,
    CHUNKING_STRATEGIES,
    DEFAULT_EMBEDDING_MODEL,
    DESCRIPTION_MAX_LENGTH,
    EMBEDDING_MODELS,
    GROUNDING_THRESHOLD_RANGE,
    MAX_FILTERABLE_KEYS,
    MAX_INCLUSION_PREFIXES,
    MAX_RESULTS_RANGE,
    MIN_SCORE_RANGE,
    OVERLAP_PERCENTAGE,
    PREFIX_MAX_LENGTH,
    RETRIEVED_TEXT_PII_POLICIES,
    SEMANTIC_BREAKPOINT_PERCENTILE,
    SEMANTIC_BUFFER_SIZE,
    Chunking,
    EmbeddingModel,
    FixedSizeChunking,
    GroundingCheck,
    HierarchicalChunking,
    KnowledgeBaseProps,
    KnowledgeBaseSource,
    NoChunking,
    RetrievalDefaults,
    SemanticChunking,
)
from cdk.config.fields import ConfigError, Section

PROMPT_CATALOG_PATH = Path(__file__).resolve().parents[2] / "lambdas" / "orchestrator" / "prompt_catalog.json"
# Names become part of resource names and the API's "knowledge_base" value.
NAME_PATTERN = r"(?=.{1,30}$)[a-z](?:-?[a-z0-9])*"  # no "--": knowledge-base names forbid consecutive hyphens
# The cfn-lint S3DataSourceConfiguration.BucketArn pattern (any partition).
BUCKET_ARN_PATTERN = r"arn:aws(-cn|-us-gov|-eusc|-iso(-[b-f])?)?:s3:::[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]"
# S3 Vectors metadata keys are 1..63 characters; keep caller-facing filter keys to a safe identifier.
FILTER_KEY_PATTERN = r"[A-Za-z][A-Za-z0-9_-]{0,62}"


@lru_cache(maxsize=1)
def catalog_use_cases(path: Path = PROMPT_CATALOG_PATH) -> tuple[str, ...]:
    """The use-case ids of the orchestrator's prompt catalog (the names ``grounded_use_cases`` may list)."""
    return tuple(entry["id"] for entry in json.loads(path.read_text(encoding="utf-8"))["use_cases"])


def parse_knowledge_bases(raw: object, path: str) -> tuple[KnowledgeBaseProps, ...]:
    """``knowledge_bases`` (an object of name -> settings, or absent) as validated construct props."""
    if raw is None:
        return ()
    section = Section(raw, path)  # fails unless an object
    parsed = []
    grounded_by: dict[str, str] = {}
    for name in dict(raw):  # type: ignore[call-overload]  # the keys are the knowledge bases' names
        entry_path = section.child_path(name)
        if not isinstance(name, str) or not re.fullmatch(NAME_PATTERN, name):
            raise ConfigError(entry_path, f"{name!r} is not a valid name; expected lowercase letters, digits and single "
                                          "hyphens, starting with a letter, at most 30 characters")
        props = _parse_one(name, section.section(name, required=True))
        check_chunk_fits_model(props, entry_path)
        for use_case in props.grounded_use_cases:
            # A request without knowledge_base uses its use case's one default (the orchestrator's settings
            # contract refuses two at cold start; fail synth instead).
            if use_case in grounded_by:
                raise ConfigError(f"{entry_path}.grounded_use_cases", f"{use_case!r} is already grounded by "
                                                                       f"{grounded_by[use_case]!r}; one knowledge base "
                                                                       "per use case")
            grounded_by[use_case] = name
        parsed.append(props)
    section.finish()
    return tuple(parsed)


def _parse_one(name: str, section: Section) -> KnowledgeBaseProps:
    description = section.string("description")
    if not 1 <= len(description) <= DESCRIPTION_MAX_LENGTH:
        raise ConfigError(section.child_path("description"), f"expected 1 to {DESCRIPTION_MAX_LENGTH} characters")
    defaults = RetrievalDefaults()
    retrieval = section.section("retrieval")
    props = KnowledgeBaseProps(
        name=name,
        description=description,
        source=_parse_source(source := section.section("source")),
        embedding=_parse_embedding(section.section("embedding")),
        chunking=_parse_chunking(section.section("chunking")),
        filterable_keys=section.string_list("filterable_keys", (), item=_filter_key, max_items=MAX_FILTERABLE_KEYS),
        retrieval=RetrievalDefaults(
            max_results=retrieval.integer("max_results", defaults.max_results,
                                          minimum=MAX_RESULTS_RANGE[0], maximum=MAX_RESULTS_RANGE[1]),
            min_score=retrieval.number("min_score", defaults.min_score,
                                       minimum=MIN_SCORE_RANGE[0], maximum=MIN_SCORE_RANGE[1]),
        ),
        grounded_use_cases=section.string_list("grounded_use_cases", (), item=_use_case),
        grounding=_parse_grounding(section.section("grounding_check")),
        retrieved_text_pii=section.string("retrieved_text_pii", "mask", choices=RETRIEVED_TEXT_PII_POLICIES),
        sample_corpus=source.boolean("sample_corpus", False),
    )
    retrieval.finish()
    source.finish()
    section.finish()
    if props.sample_corpus and props.source.bucket_arn is not None:
        raise ConfigError(source.child_path("sample_corpus"),
                          "the sample corpus is deployed only into a bucket the stack creates; remove bucket_arn "
                          "or set sample_corpus to false")
    return props


def _parse_source(source: Section) -> KnowledgeBaseSource:
    return KnowledgeBaseSource(
        bucket_arn=source.string("bucket_arn", None, pattern=BUCKET_ARN_PATTERN,
                                 pattern_hint="an S3 bucket ARN such as arn:aws:s3:::my-documents"),
        inclusion_prefixes=source.string_list("inclusion_prefixes", (), item=_prefix,
                                              max_items=MAX_INCLUSION_PREFIXES),
    )


def _prefix(path: str, value: str) -> str:
    if not 1 <= len(value) <= PREFIX_MAX_LENGTH:
        raise ConfigError(path, f"expected 1 to {PREFIX_MAX_LENGTH} characters")
    return value


def _filter_key(path: str, value: str) -> str:
    if not re.fullmatch(FILTER_KEY_PATTERN, value):
        raise ConfigError(path, f"{value!r} is not valid; expected a letter then letters, digits, _ or -, "
                                "at most 63 characters")
    if value in BEDROCK_NON_FILTERABLE_KEYS or value.startswith("x-amz-bedrock-kb-"):
        raise ConfigError(path, f"{value!r} is reserved by Bedrock")
    return value


def _use_case(path: str, value: str) -> str:
    allowed = catalog_use_cases()
    if value not in allowed:
        raise ConfigError(path, f"{value!r} is not a use case of the prompt catalog; allowed values: "
                                f"{', '.join(allowed)}")
    return value


def _parse_embedding(section: Section) -> EmbeddingModel:
    model_id = section.string("model", DEFAULT_EMBEDDING_MODEL, choices=EMBEDDING_MODELS)
    spec = EMBEDDING_MODELS[model_id]
    embedding = EmbeddingModel(
        model_id=model_id,
        dimensions=section.integer("dimensions", spec.dimensions[0], choices=spec.dimensions),
    )
    section.finish()
    return embedding


def _parse_chunking(section: Section) -> Chunking:
    strategy = section.string("strategy", "fixed_size", choices=CHUNKING_STRATEGIES)
    low, high = CHUNK_MAX_TOKENS
    chunking: Chunking
    if strategy == "fixed_size":
        default = FixedSizeChunking()
        chunking = FixedSizeChunking(
            max_tokens=section.integer("max_tokens", default.max_tokens, minimum=low, maximum=high),
            overlap_percentage=section.integer("overlap_percentage", default.overlap_percentage,
                                               minimum=OVERLAP_PERCENTAGE[0], maximum=OVERLAP_PERCENTAGE[1]),
        )
    elif strategy == "semantic":
        default = SemanticChunking()
        chunking = SemanticChunking(
            max_tokens=section.integer("max_tokens", default.max_tokens, minimum=low, maximum=high),
            buffer_size=section.integer("buffer_size", default.buffer_size,
                                        minimum=SEMANTIC_BUFFER_SIZE[0], maximum=SEMANTIC_BUFFER_SIZE[1]),
            breakpoint_percentile_threshold=section.integer(
                "breakpoint_percentile_threshold", default.breakpoint_percentile_threshold,
                minimum=SEMANTIC_BREAKPOINT_PERCENTILE[0], maximum=SEMANTIC_BREAKPOINT_PERCENTILE[1]),
        )
    elif strategy == "hierarchical":
        default = HierarchicalChunking()
        chunking = HierarchicalChunking(
            parent_max_tokens=section.integer("parent_max_tokens", default.parent_max_tokens, minimum=low,
                                              maximum=high),
            child_max_tokens=section.integer("child_max_tokens", default.child_max_tokens, minimum=low,
                                             maximum=high),
            overlap_tokens=section.integer("overlap_tokens", default.overlap_tokens, minimum=1, maximum=high),
        )
        if chunking.child_max_tokens >= chunking.parent_max_tokens:
            raise ConfigError(section.child_path("child_max_tokens"),
                              f"{chunking.child_max_tokens} must be smaller than parent_max_tokens "
                              f"({chunking.parent_max_tokens})")
    else:
        chunking = NoChunking()
    section.finish()
    return chunking


def _parse_grounding(section: Section) -> GroundingCheck:
    default = GroundingCheck()
    low, high = GROUNDING_THRESHOLD_RANGE
    grounding = GroundingCheck(
        grounding_threshold=section.number("grounding_threshold", default.grounding_threshold, minimum=low,
                                           maximum=high),
        relevance_threshold=section.number("relevance_threshold", default.relevance_threshold, minimum=low,
                                           maximum=high),
        below_threshold_action=section.string("below_threshold", default.below_threshold_action,
                                              choices=BELOW_THRESHOLD_ACTIONS),
    )
    section.finish()
    return grounding


def check_chunk_fits_model(props: KnowledgeBaseProps, path: str) -> None:
    """A chunk larger than the embedding model's input cannot be embedded: fail synth, not the ingestion job."""
    chunking = props.chunking
    # Hierarchical chunking embeds the child chunks (the parent is what Retrieve returns).
    largest = {FixedSizeChunking: lambda c: c.max_tokens, SemanticChunking: lambda c: c.max_tokens,
               HierarchicalChunking: lambda c: c.child_max_tokens}.get(type(chunking))
    limit = EMBEDDING_MODELS[props.embedding.model_id].max_input_tokens
    if largest is not None and largest(chunking) > limit:
        raise ConfigError(f"{path}.chunking", f"chunks of up to {largest(chunking)} tokens exceed the "
                                              f"{limit}-token input of {props.embedding.model_id}")
