"""Stage 3: validation. The pySHACL call and its results (`engine`) and validation runs
over files, stores and the reference data with their renderings (`run`).
"""
