from cdk.components.neuron_dlc.registry import (
    DLC_REGISTRY_ACCOUNTS,
    UnknownDlcRegionError,
    dlc_registry_account,
    dlc_repository,
)

__all__ = ["DLC_REGISTRY_ACCOUNTS", "UnknownDlcRegionError", "dlc_registry_account", "dlc_repository"]
