"""The SPARQL HTTP endpoint (`kg serve`): see docs/sparql-endpoint.md."""
