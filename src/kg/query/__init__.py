"""Stage 7: answers. Named SPARQL queries (`named`) run on the embedded store or a remote
endpoint through one `QueryBackend` interface (`backends`).
"""
