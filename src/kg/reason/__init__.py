"""Reasoning: the few inferences the store keeps (`materialise`, SPARQL CONSTRUCT rules) and the
HermiT consistency check of the ontology and reference data (`consistency`).
"""
