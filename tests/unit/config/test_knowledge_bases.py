"""The ``knowledge_bases`` section: defaults, every bound of the Bedrock DataSource schema, and bad values that
name the key path and the allowed values."""

from __future__ import annotations

import pytest

from cdk.components.knowledge_base import create_only_fingerprint
from cdk.components.knowledge_base.props import (
    FixedSizeChunking,
    HierarchicalChunking,
    KnowledgeBaseProps,
    NoChunking,
    SemanticChunking,
)
from cdk.config import ConfigError, load_app_config
from tests.infra.synth import cdk_context

PATH = "environments.dev.knowledge_bases"


def _knowledge_bases(section):
    env = {"region": "eu-west-1", "knowledge_bases": section}
    return load_app_config({"environments": {"dev": env}}).environment("dev").knowledge_bases


def _one(**settings) -> KnowledgeBaseProps:
    (props,) = _knowledge_bases({"docs": {"description": "Docs", **settings}})
    return props


def _error(**settings) -> str:
    with pytest.raises(ConfigError) as error:
        _one(**settings)
    return str(error.value)


def test_no_section_means_no_knowledge_base():
    assert load_app_config({"environments": {"dev": {"region": "eu-west-1"}}}).environment("dev").knowledge_bases == ()


def test_defaults_titan_v2_1024_fixed_chunks_reject_below_threshold_and_mask_pii():
    props = _one()
    assert props.embedding.model_id == "amazon.titan-embed-text-v2:0" and props.embedding.dimensions == 1024
    assert props.chunking == FixedSizeChunking(max_tokens=300, overlap_percentage=20)
    assert props.source.bucket_arn is None and props.source.inclusion_prefixes == ()
    assert (props.retrieval.max_results, props.retrieval.min_score) == (5, 0.0)
    assert props.grounding.below_threshold_action == "reject"
    assert props.retrieved_text_pii == "mask"


def test_shipped_config_dev_has_the_sample_corpus_and_staging_prod_have_none():
    config = load_app_config(cdk_context())
    (dev,) = config.environment("dev").knowledge_bases
    assert dev.sample_corpus and dev.grounded_use_cases == ("answer",) and dev.filterable_keys == ("topic",)
    assert config.environment("staging").knowledge_bases == () == config.environment("prod").knowledge_bases


@pytest.mark.parametrize(("chunking", "expected"), [
    ({"strategy": "semantic", "max_tokens": 500, "buffer_size": 1, "breakpoint_percentile_threshold": 90},
     SemanticChunking(max_tokens=500, buffer_size=1, breakpoint_percentile_threshold=90)),
    ({"strategy": "hierarchical", "parent_max_tokens": 2000, "child_max_tokens": 200, "overlap_tokens": 40},
     HierarchicalChunking(parent_max_tokens=2000, child_max_tokens=200, overlap_tokens=40)),
    ({"strategy": "none"}, NoChunking()),
])
def test_each_chunking_strategy(chunking, expected):
    assert _one(chunking=chunking).chunking == expected


@pytest.mark.parametrize(("settings", "message"), [
    ({"chunking": {"strategy": "sliding"}},
     f"{PATH}.docs.chunking.strategy: 'sliding' is not allowed; allowed values: fixed_size, semantic, hierarchical, none"),
    ({"chunking": {"max_tokens": 8193}}, f"{PATH}.docs.chunking.max_tokens: 8193 is out of range; allowed: [1, 8192]"),
    ({"chunking": {"overlap_percentage": 0}}, f"{PATH}.docs.chunking.overlap_percentage: 0 is out of range"),
    ({"chunking": {"strategy": "semantic", "breakpoint_percentile_threshold": 40}},
     f"{PATH}.docs.chunking.breakpoint_percentile_threshold: 40 is out of range; allowed: [50, 99]"),
    ({"chunking": {"strategy": "semantic", "overlap_percentage": 10}}, "chunking.overlap_percentage: unknown key"),
    ({"chunking": {"strategy": "hierarchical", "parent_max_tokens": 300, "child_max_tokens": 300}},
     "child_max_tokens: 300 must be smaller than parent_max_tokens"),
    ({"embedding": {"dimensions": 768}}, f"{PATH}.docs.embedding.dimensions: 768 is not allowed; allowed values: 256, 512, 1024"),
    ({"embedding": {"model": "amazon.titan-embed-text-v1"}}, "embedding.model: 'amazon.titan-embed-text-v1' is not allowed"),
    ({"embedding": {"model": "cohere.embed-english-v3"}, "chunking": {"max_tokens": 600}},
     "chunks of up to 600 tokens exceed the 512-token input of cohere.embed-english-v3"),
    ({"source": {"inclusion_prefixes": ["a/", "b/"]}}, "source.inclusion_prefixes: expected 0 to 1 items"),
    ({"source": {"bucket_arn": "my-bucket"}}, "source.bucket_arn: 'my-bucket' is not valid; expected an S3 bucket ARN"),
    ({"source": {"bucket_arn": "arn:aws:s3:::docs", "sample_corpus": True}}, "source.sample_corpus: the sample corpus"),
    ({"retrieval": {"max_results": 0}}, f"{PATH}.docs.retrieval.max_results: 0 is out of range; allowed: [1, 20]"),
    ({"retrieval": {"min_score": 1.5}}, f"{PATH}.docs.retrieval.min_score: 1.5 is out of range; allowed: [0.0, 1.0]"),
    ({"grounded_use_cases": ["anwser"]}, "grounded_use_cases[0]: 'anwser' is not a use case of the prompt catalog; "
                                         "allowed values: summarize,"),
    ({"grounding_check": {"grounding_threshold": 1.0}}, "grounding_check.grounding_threshold: 1.0 is out of range; "
                                                        "allowed: [0.0, 0.99]"),
    ({"grounding_check": {"below_threshold": "drop"}}, "below_threshold: 'drop' is not allowed; allowed values: "
                                                       "reject, flag"),
    ({"retrieved_text_pii": "redact"}, "retrieved_text_pii: 'redact' is not allowed; allowed values: mask, allow"),
    ({"filterable_keys": ["AMAZON_BEDROCK_TEXT"]}, "filterable_keys[0]: 'AMAZON_BEDROCK_TEXT' is reserved"),
    ({"filterable_keys": ["has space"]}, "filterable_keys[0]: 'has space' is not valid"),
    ({"retreival": {}}, f"{PATH}.docs.retreival: unknown key; did you mean 'retrieval'?"),
])
def test_bad_values_name_the_key_path_and_the_allowed_values(settings, message):
    assert message in _error(**settings)


def test_a_name_with_consecutive_hyphens_or_capitals_is_refused():
    for name in ("docs--v2", "Docs", "1docs"):
        with pytest.raises(ConfigError, match=rf"{PATH}.{name}: '{name}' is not a valid name"):
            _knowledge_bases({name: {"description": "x"}})


def test_a_description_is_required():
    with pytest.raises(ConfigError, match=rf"{PATH}.docs.description: is required"):
        _knowledge_bases({"docs": {}})


def test_create_only_settings_change_the_fingerprint_and_nothing_else_does():
    base = _one()
    assert create_only_fingerprint(base) == create_only_fingerprint(_one(retrieval={"max_results": 9},
                                                                         filterable_keys=["topic"]))
    assert create_only_fingerprint(base) != create_only_fingerprint(_one(chunking={"max_tokens": 500}))
    assert create_only_fingerprint(base) != create_only_fingerprint(_one(embedding={"dimensions": 512}))


def test_a_use_case_is_grounded_by_one_knowledge_base_at_most():
    with pytest.raises(ConfigError) as error:
        _knowledge_bases({"docs": {"description": "Docs", "grounded_use_cases": ["answer"]},
                          "faq": {"description": "FAQ", "grounded_use_cases": ["chat", "answer"]}})
    assert str(error.value).startswith(f"{PATH}.faq.grounded_use_cases") and "'docs'" in str(error.value)
