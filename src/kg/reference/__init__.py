"""Reference data, loaded once and passed on as a `Reference`.

The ontology, vocabularies, countries, regions and organisations
(`loader`), the world's places indexed for the loaders (`gazetteer`) and the disk cache both are
compiled into (`diskcache`).
"""
