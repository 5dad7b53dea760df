from cdk.components.neuron_dlc.registry import (
    DLC_REGISTRY_ACCOUNTS,
    DlcImage,
    UnknownDlcRegionError,
    dlc_registry_account,
    dlc_repository,
)
from cdk.components.neuron_dlc.trust import service_principal

__all__ = ["DLC_REGISTRY_ACCOUNTS", "DlcImage", "UnknownDlcRegionError", "dlc_registry_account", "dlc_repository",
           "service_principal"]
