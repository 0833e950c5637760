"""One module per group of `nianbao` commands; each `cmd_*` takes the parsed arguments and returns an exit status."""
