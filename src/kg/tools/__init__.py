"""Developer and curator tools beside the pipeline: synthetic corpora (`synth`), the
ontology's HTML documentation (`ontology_docs`) and the highlight view of a report (`highlight`).
"""
