"""Exports for the humanitarian data ecosystem (issue 18): the graph's operational presence as
HXL-tagged CSV shaped as HDX HAPI's 3W rows, and its figures with their quotes, each with CSVW
metadata (`kg.export.hxl`)."""
