"""The mapping this process reads Avito with: the one `avito.mapping_file` names, installed at
start (`install_mapping`), or the default file (`src/leadbridge/avito_mapping.toml`) until then.
"""

from __future__ import annotations

from functools import cache

from leadbridge.avito.mapping import LeadMapping, load_mapping
from leadbridge.config import DEFAULT_AVITO_MAPPING, AvitoSettings


@cache
def default_mapping() -> LeadMapping:
    return load_mapping(DEFAULT_AVITO_MAPPING)


def mapping_for(settings: AvitoSettings) -> LeadMapping:
    """The mapping `avito.mapping_file` names, checked."""
    if settings.mapping_file == DEFAULT_AVITO_MAPPING:
        return default_mapping()
    return load_mapping(settings.mapping_file)


_installed: list[LeadMapping] = []


def install_mapping(settings: AvitoSettings) -> LeadMapping:
    """Load and check the configured mapping and make it this process's (at start)."""
    mapping = mapping_for(settings)
    _installed[:] = [mapping]
    return mapping


def active_mapping() -> LeadMapping:
    """The mapping installed at start, or the default one."""
    return _installed[0] if _installed else default_mapping()
