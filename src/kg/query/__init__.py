"""Answers: named SPARQL queries (`named`) on the embedded store or a remote endpoint, through
one `QueryBackend` interface (`backends`).
"""
