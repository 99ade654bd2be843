"""Thermal slips: layouts as templates, a durable print queue, and the edge service that feeds
it from central's print commands and local print.requested events."""
