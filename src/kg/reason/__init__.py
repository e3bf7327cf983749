"""Stage 4: reasoning. `materialise` holds the few inferences the store keeps (SPARQL
CONSTRUCT rules); `consistency` runs HermiT over the ontology and reference data.
"""
