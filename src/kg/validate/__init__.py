"""SHACL validation: the pySHACL call and its results (`engine`), one report at a time as the
build runs it (`per_report`), and `kg validate` runs with their renderings (`run`).
"""
