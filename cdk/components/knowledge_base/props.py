"""The typed, CDK-free arguments of :class:`KnowledgeBase` (``cdk/config/knowledge_bases.py`` builds them directly).

Every default and bound is stated here once; the config reader validates against these constants and names the
key path. Sources of the bounds (checked in this session):

- Chunking: botocore ``bedrock-agent`` service model (``FixedSizeChunkingConfigurationMaxTokensInteger`` 1..8192,
  ``...OverlapPercentageInteger`` 1..99, ``SemanticChunkingConfigurationBufferSizeInteger`` 0..1,
  ``...BreakpointPercentileThresholdInteger`` 50..99, ``...MaxTokensInteger`` 1..8192,
  ``HierarchicalChunkingLevelConfigurationMaxTokensInteger`` 1..8192, exactly two levels, overlap >= 1) and the
  cfn-lint 1.58 schema of ``AWS::Bedrock::DataSource`` (same bounds).
- Inclusion prefixes: ``S3Prefixes`` is a list of at most ONE prefix of 1..300 characters (botocore and cfn-lint).
- Embedding models and dimensions: aws-bedrock-alpha 2.275.0a0 ``BedrockFoundationModel`` (TITAN_EMBED_TEXT_V2_256/
  512/1024 with configurable dimensions; COHERE_EMBED_ENGLISH_V3 / MULTILINGUAL_V3 fixed at 1024).
- S3 Vectors index: dimension 1..4096, distance ``cosine`` | ``euclidean``, data type ``float32``, at most 10
  non-filterable metadata keys of 1..63 characters (cfn-lint schema of ``AWS::S3Vectors::Index``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

# --------------------------------------------------------------------------------------------- embedding models


@dataclass(frozen=True)
class EmbeddingModelSpec:
    """What the project knows about one allow-listed embedding model."""

    model_id: str
    dimensions: tuple[int, ...]  # the values Bedrock accepts; the first is the default
    max_input_tokens: int  # a chunk larger than this cannot be embedded


EMBEDDING_MODELS: dict[str, EmbeddingModelSpec] = {
    spec.model_id: spec
    for spec in (
        EmbeddingModelSpec("amazon.titan-embed-text-v2:0", (1024, 512, 256), 8192),
        EmbeddingModelSpec("cohere.embed-english-v3", (1024,), 512),
        EmbeddingModelSpec("cohere.embed-multilingual-v3", (1024,), 512),
    )
}
DEFAULT_EMBEDDING_MODEL = "amazon.titan-embed-text-v2:0"
DISTANCE_METRICS = ("cosine", "euclidean")


@dataclass(frozen=True)
class EmbeddingModel:
    """The model that embeds chunks and queries; the vector index's dimension and metric follow it."""

    model_id: str = DEFAULT_EMBEDDING_MODEL
    dimensions: int = 1024
    distance_metric: str = "cosine"  # Titan V2 and Cohere v3 embeddings are compared by cosine similarity


# --------------------------------------------------------------------------------------------------- chunking

CHUNKING_STRATEGIES = ("fixed_size", "semantic", "hierarchical", "none")
CHUNK_MAX_TOKENS = (1, 8192)
OVERLAP_PERCENTAGE = (1, 99)
SEMANTIC_BUFFER_SIZE = (0, 1)
SEMANTIC_BREAKPOINT_PERCENTILE = (50, 99)


@dataclass(frozen=True)
class FixedSizeChunking:
    max_tokens: int = 300
    overlap_percentage: int = 20


@dataclass(frozen=True)
class SemanticChunking:
    max_tokens: int = 300
    buffer_size: int = 0
    breakpoint_percentile_threshold: int = 95


@dataclass(frozen=True)
class HierarchicalChunking:
    parent_max_tokens: int = 1500
    child_max_tokens: int = 300
    overlap_tokens: int = 60


@dataclass(frozen=True)
class NoChunking:
    """Each file is one chunk (pre-split your documents)."""


Chunking = FixedSizeChunking | SemanticChunking | HierarchicalChunking | NoChunking

# ------------------------------------------------------------------------------------------ source and runtime

PREFIX_MAX_LENGTH = 300
MAX_INCLUSION_PREFIXES = 1  # S3Prefixes: max 1
MAX_FILTERABLE_KEYS = 10
# Bedrock writes each chunk's text and its own metadata into these S3 Vectors metadata keys; they are declared
# non-filterable so that large chunks stay under S3 Vectors' 2 KB filterable-metadata limit per vector.
# AMAZON_BEDROCK_TEXT: verified (the "Filterable metadata must have at most 2048 bytes" ingestion failure and its
# fix, and the key the console's quick-create declares). AMAZON_BEDROCK_METADATA: per the console's quick-create,
# not verified in AWS documentation in this session.
BEDROCK_NON_FILTERABLE_KEYS = ("AMAZON_BEDROCK_TEXT", "AMAZON_BEDROCK_METADATA")
MAX_RESULTS_RANGE = (1, 20)  # the API's retrieval.max_results bounds (issue 13)
MIN_SCORE_RANGE = (0.0, 1.0)
# Contextual grounding thresholds: 0..0.99 per the Bedrock guardrails user guide (botocore bedrock states only
# GuardrailContextualGroundingFilterConfigThresholdDouble min 0).
GROUNDING_THRESHOLD_RANGE = (0.0, 0.99)
BELOW_THRESHOLD_ACTIONS = ("reject", "flag")  # reject -> 422; flag -> answer with a flag in the response
RETRIEVED_TEXT_PII_POLICIES = ("mask", "allow")
DESCRIPTION_MAX_LENGTH = 200  # AWS::Bedrock::KnowledgeBase Description


@dataclass(frozen=True)
class KnowledgeBaseSource:
    """Where the documents are: ``bucket_arn`` None means the stack creates a bucket for them."""

    bucket_arn: str | None = None
    inclusion_prefixes: tuple[str, ...] = ()


@dataclass(frozen=True)
class RetrievalDefaults:
    max_results: int = 5
    min_score: float = 0.0


@dataclass(frozen=True)
class GroundingCheck:
    """The guardrail's contextual grounding check on grounded answers (applied by the orchestrator)."""

    grounding_threshold: float = 0.75
    relevance_threshold: float = 0.5
    below_threshold_action: str = "reject"


@dataclass(frozen=True)
class KnowledgeBaseProps:
    """One knowledge base: S3 source -> chunks -> embeddings in S3 Vectors, plus how the API uses it."""

    name: str
    description: str
    source: KnowledgeBaseSource = field(default_factory=KnowledgeBaseSource)
    embedding: EmbeddingModel = field(default_factory=EmbeddingModel)
    chunking: Chunking = field(default_factory=FixedSizeChunking)
    filterable_keys: tuple[str, ...] = ()
    retrieval: RetrievalDefaults = field(default_factory=RetrievalDefaults)
    grounded_use_cases: tuple[str, ...] = ()
    grounding: GroundingCheck = field(default_factory=GroundingCheck)
    retrieved_text_pii: str = "mask"
    sample_corpus: bool = False  # deploy knowledge/sample_corpus/ into the created source bucket


@dataclass(frozen=True)
class KnowledgeBaseDescriptor:
    """What the API needs to know about one deployed knowledge base (ids are tokens at synth)."""

    name: str
    knowledge_base_id: str
    knowledge_base_arn: str
    description: str
    filterable_keys: tuple[str, ...]
    retrieval: RetrievalDefaults
    grounded_use_cases: tuple[str, ...]
    grounding: GroundingCheck
    retrieved_text_pii: str
