"""Stage 1: reference data. The ontology, vocabularies, countries, regions and organisations
(`loader`), the world's places indexed for the loaders (`gazetteer`) and the disk cache both are
compiled into (`diskcache`). Loaded once and passed on as a `Reference`.
"""
