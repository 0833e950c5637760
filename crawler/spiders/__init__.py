"""Spiders of the nianbao crawler."""
