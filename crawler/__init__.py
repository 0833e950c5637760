"""Scrapy project: discovers annual-report pages and attachments on agency websites."""
