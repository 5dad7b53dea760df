"""Typed configuration for the app, built from ``cdk.json`` context.

>>> config = load_app_config({"project": "genai", "environments": {"dev": {"region": "eu-west-1"}}})
>>> [env.name for env in config.selected()]
['dev']
"""

from cdk.config.app import AppConfig, load_app_config
from cdk.config.environment import EnvironmentConfig
from cdk.config.fields import ConfigError

__all__ = ["AppConfig", "ConfigError", "EnvironmentConfig", "load_app_config"]
