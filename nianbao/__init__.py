"""The nianbao command line."""
