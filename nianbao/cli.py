"""The `nianbao` command line: the parser, and one exit-status contract for every command (see `exits`)."""

from __future__ import annotations

import argparse
import os
import sys

from extractors import DEFAULT_MAX_BYTES

from . import exits

DEFAULT_DB = "sqlite:///data/nianbao.sqlite"
DEFAULT_FEED = "data/crawl-events.jsonl"


def _version() -> str:
    from crawler.useragent import project_version

    return project_version()


class _Formatter(argparse.RawDescriptionHelpFormatter):
    """Shows every option's default (where it has one) and keeps the epilog's line breaks."""

    def _get_help_string(self, action: argparse.Action) -> str:
        text = action.help or ""
        shown = action.default not in (None, False, argparse.SUPPRESS) and action.option_strings
        if shown and "%(default)" not in text:
            text += " (default: %(default)s)"
        return text


def _sub(sub: argparse._SubParsersAction, name: str, text: str) -> argparse.ArgumentParser:
    return sub.add_parser(name, help=text, description=text, epilog=exits.EPILOG, formatter_class=_Formatter)


def _db(p: argparse.ArgumentParser, what: str) -> None:
    p.add_argument("--db", default=DEFAULT_DB, help=f"SQLAlchemy URL of the store {what}")


def _browser(p: argparse.ArgumentParser) -> None:
    p.add_argument("--browser", action="store_true", help="read hosts that answer a script challenge (瑞数 412, "
                   "加速乐 521) through the system's Chromium, a page at a time (nianbao[browser])")  # fmt: skip


def _region(p: argparse.ArgumentParser, what: str) -> None:
    p.add_argument("--region", help=f"GB/T 2260 code prefix ({what}), e.g. 32, 3208, 320813")


def _coverage_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--region", required=True, help="GB/T 2260 code prefix, e.g. 32, 3208, 320813 (a code the "
                   "bundled table lacks works where stored bodies or reports carry it)")  # fmt: skip
    p.add_argument("--year", type=int, required=True, help="the report year (reports of YEAR, due in YEAR+1)")
    from .commands.coverage import FORMATS as COVERAGE_FORMATS

    p.add_argument("--format", default="table", choices=COVERAGE_FORMATS, help="table and csv end with totals per "
                   "level; json is one array of the rows")  # fmt: skip
    p.add_argument("--deadline", action="append", metavar="LEVEL|REGION=YYYY-MM-DD", help="set a deadline per level "
                   "(township=2025-03-31) or region code prefix (320813=2025-02-28); repeatable")  # fmt: skip


def build_parser() -> argparse.ArgumentParser:
    """Return the argument parser of `nianbao`."""
    # Imported here, not at the top: a crawl's worker processes import this module and need none of them.
    from .commands.bodies import cmd_bodies_import, cmd_bodies_list
    from .commands.browse import add_browse_parser
    from .commands.coverage import cmd_coverage
    from .commands.crawl import BUNDLED, cmd_crawl, cmd_sites, cmd_sites_import, cmd_sites_list
    from .commands.data import cmd_export, cmd_validate
    from .commands.demo import cmd_demo
    from .commands.due import cmd_due
    from .commands.extract import cmd_extract, cmd_summary
    from .commands.harvest import cmd_harvest
    from .commands.report import add_report_parser
    from .commands.rules import cmd_rules
    from .commands.runs import add_runs_parser
    from .commands.schema import cmd_schema
    from .commands.show import add_show_parser
    from .commands.worker import add_worker_parser

    parser = argparse.ArgumentParser(
        prog="nianbao", description="Harvest 政府信息公开工作年度报告 (government open-information annual reports) "
        "as checked data.", epilog=exits.EPILOG, formatter_class=_Formatter)  # fmt: skip
    parser.add_argument("--version", action="version", version=f"nianbao {_version()}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    ex = _sub(sub, "extract", "extract one document (JSON) or every file under a folder (JSON lines)")
    ex.add_argument("path", help="a document or a folder of documents (not a URL: use `crawl` to fetch)")
    ex.add_argument("--max-bytes", type=int, default=DEFAULT_MAX_BYTES, help="refuse files larger than this")
    ex.add_argument("--source-url", help="the URL the document was published at (copied onto the record)")
    ex.add_argument("--published-at", help="publication date YYYY-MM-DD: runs the timeliness checks (TIME-01…03)")
    ex.add_argument("--compact", action="store_true", help="one-line JSON for a single file")
    ex.add_argument("--quiet", action="store_true", help="no progress bar in folder mode")
    ex.add_argument("--strict", action="store_true", help="folder mode: exit 1 if any file could not be read")
    ex.set_defaults(func=cmd_extract)

    cr = _sub(sub, "crawl", "harvest the annual reports of registry sites or of the given URLs' hosts")
    cr.add_argument("urls", nargs="*", help="start URLs; each host becomes a site")
    cr.add_argument("--sites", help=f"registry CSV (site_id,name,region_code,…,start_urls,allowed_hosts,…), "
                    f"or `{BUNDLED}` for the registry shipped with nianbao")  # fmt: skip
    _region(cr, "only the registry's sites in it; without --sites, the store's registry (`sites import`) "
            f"where it has one, else `{BUNDLED}`")
    _db(cr, "('' for none; a SQLite file is created)")
    cr.add_argument("--blobs", help="folder of the raw documents (default: blobs/ beside a SQLite file, "
                    "else data/blobs)")  # fmt: skip
    cr.add_argument("--feed", default=DEFAULT_FEED, help="JSON-lines event feed appended to ('' for none)")
    cr.add_argument("--state", help="deprecated, ignored: the crawl's memory (incremental, resumable) is in --db")
    cr.add_argument("--summary", default="data/crawl-summary.json", help="per-site summary written here as JSON")
    cr.add_argument("--contact", help="operator's e-mail or URL for the User-Agent (or $NIANBAO_CONTACT); set it")
    cr.add_argument("--fast", action="store_true", help="no AutoThrottle or delay (local test sites only)")
    _browser(cr)
    cr.add_argument("--redis", metavar="URL", help="seed a distributed crawl in Redis (redis://HOST:6379/0) and "
                    "exit: `nianbao worker` processes crawl it")  # fmt: skip
    cr.add_argument("--queue", default="annual_reports", help="with --redis: the crawl's name in Redis")
    cr.add_argument("--quiet", action="store_true", help="no live progress line on a terminal")
    cr.add_argument("--log-level", default="WARNING", choices=("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"),
                    help="Scrapy log level")  # fmt: skip
    cr.add_argument("-s", "--set", action="append", metavar="KEY=VALUE", help="any Scrapy setting (repeatable)")
    cr.add_argument("--due", action="store_true", help="only the sites due for a visit (`nianbao due`)")
    cr.set_defaults(func=cmd_crawl)

    du = _sub(sub, "due", "list the sites due for a visit by the store's visit policy and its crawl runs")
    du.add_argument("--sites", help=f"registry CSV or `{BUNDLED}` (default: the store's registry, else bundled)")
    _region(du, "only the sites in it")
    _db(du, "(its crawl runs give each site's last visit)")
    du.add_argument("--all", action="store_true", help="list every site with its last visit, due or not")
    du.add_argument("--format", default="table", choices=("table", "json"), help="output format")
    du.add_argument("--set-policy", action="append", metavar="KEY=VALUE", help="store the visit policy first: "
                    "busy_from=0101 busy_to=0415 (MMDD) busy_days=1 quiet_days=30 (repeatable)")  # fmt: skip
    du.set_defaults(func=cmd_due)

    si = _sub(sub, "sites", "list a registry's sites (the shipped one by default), optionally one region's; "
              "`sites import` and `sites list` keep a registry in the store")  # fmt: skip
    si.add_argument("--sites", default=BUNDLED, help=f"registry CSV, or `{BUNDLED}`")
    _region(si, "only the sites in it")
    si.set_defaults(func=cmd_sites)
    sis = si.add_subparsers(dest="sites_command", metavar="ACTION",
                            help="import: registry files into the store; list: the store's registry")  # fmt: skip
    im = _sub(sis, "import", "import registry files into the store's registry (the official download's zips or "
              "CSVs, the crawler's CSV format, `bundled`); importing twice changes nothing")  # fmt: skip
    im.add_argument("files", nargs="+", metavar="FILE", help=f"a registry zip or CSV, or `{BUNDLED}`")
    _db(im, "(a SQLite file is created)")
    im.set_defaults(func=cmd_sites_import)
    sl = _sub(sis, "list", "list the store's registry, optionally one region's (what `crawl --region` selects)")
    _region(sl, "only the sites in it")
    _db(sl, "(must exist)")
    sl.add_argument("--format", default="table", choices=("table", "csv", "json"), help="output format")
    sl.set_defaults(func=cmd_sites_list)

    sm = _sub(sub, "summary", "extract every document under folders and print a table (no crawl, no database)")
    sm.add_argument("paths", nargs="*", help="folders of documents (default: the samples shipped with nianbao)")
    sm.add_argument("--max-bytes", type=int, default=DEFAULT_MAX_BYTES, help="refuse files larger than this")
    sm.add_argument("--strict", action="store_true", help="exit 1 if any file could not be read")
    sm.set_defaults(func=cmd_summary)

    ep = _sub(sub, "export", "write the stored reports as text files, JSON lines, CSV, Parquet, or the wide table "
              "(one row per report) as XLSX or CSV")  # fmt: skip
    _db(ep, "(must exist)")
    ep.add_argument("--format", required=True, choices=("text", "jsonl", "csv", "parquet", "xlsx", "wide-csv"),
                    help="export format: csv/parquet one row per cell, xlsx/wide-csv one row per report")  # fmt: skip
    ep.add_argument("--out", required=True, help="folder (text) or file (jsonl, csv, parquet, xlsx, wide-csv)")
    _region(ep, "or a region name or site id")
    ep.add_argument("--year", type=int, help="only reports of this year")
    ep.set_defaults(func=cmd_export)

    va = _sub(sub, "validate", "cross-year and timeliness rules over the stored reports")
    _db(va, "(must exist)")
    _region(va, "or a region name or site id")
    va.add_argument("--json", action="store_true", help="the findings as one JSON array")
    va.set_defaults(func=cmd_validate)

    ru = _sub(sub, "rules", "list every check id with its severity and meaning")
    ru.add_argument("--markdown", action="store_true", help="as a Markdown table")
    ru.set_defaults(func=cmd_rules)

    sc = _sub(sub, "schema", "print the JSON Schema of the record (what extract prints and the exports hold)")
    sc.add_argument("--compact", action="store_true", help="on one line")
    sc.set_defaults(func=cmd_schema)

    co = _sub(sub, "coverage", "one row per obliged body of a region and year: on_time, late, missing or undated; "
              "then the year's reports whose body is in no list (unlisted)")  # fmt: skip
    _coverage_options(co)
    _db(co, "(must exist)")
    co.set_defaults(func=cmd_coverage)

    hv = _sub(sub, "harvest", "one-off harvest of a region: select its sites, crawl them, print the coverage table")
    _coverage_options(hv)
    _db(hv, "(a SQLite file is created)")
    hv.add_argument("--sites", help=f"registry CSV or `{BUNDLED}` (default: the store's registry where it has the "
                    f"region's sites, else `{BUNDLED}`)")  # fmt: skip
    hv.add_argument("--blobs", help="folder of the raw documents (default: blobs/ beside a SQLite file)")
    hv.add_argument("--feed", default=DEFAULT_FEED, help="JSON-lines event feed appended to ('' for none)")
    hv.add_argument("--summary", default="data/crawl-summary.json", help="per-site summary written here as JSON")
    hv.add_argument("--contact", help="operator's e-mail or URL for the User-Agent (or $NIANBAO_CONTACT); set it")
    hv.add_argument("--fast", action="store_true", help="no AutoThrottle or delay (local test sites only)")
    _browser(hv)
    hv.add_argument("--quiet", action="store_true", help="no live progress line on a terminal")
    hv.add_argument("--log-level", default="WARNING", choices=("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"),
                    help="Scrapy log level")  # fmt: skip
    hv.add_argument("-s", "--set", action="append", metavar="KEY=VALUE", help="any Scrapy setting (repeatable)")
    hv.set_defaults(func=cmd_harvest)

    bo = _sub(sub, "bodies", "the obliged bodies the store knows: import a user's CSV, list them")
    bos = bo.add_subparsers(dest="bodies_command", metavar="ACTION", required=True, help="import or list")
    bi = _sub(bos, "import", "apply a CSV of bodies (action add|rename|retire, name, new_name, level, region_code, "
              "year, column_url) to the store")  # fmt: skip
    bi.add_argument("file", help="the CSV file (UTF-8)")
    _db(bi, "(a SQLite file is created)")
    bi.set_defaults(func=cmd_bodies_import)
    bl = _sub(bos, "list", "list the obliged bodies the store knows, with level, parent and where they were learnt")
    _region(bl, "only the bodies in it")
    _db(bl, "(must exist)")
    bl.set_defaults(func=cmd_bodies_list)

    add_worker_parser(sub, _sub, DEFAULT_DB, DEFAULT_FEED, _browser)
    add_runs_parser(sub, _sub, DEFAULT_DB)
    add_show_parser(sub, _sub, DEFAULT_DB)
    add_browse_parser(sub, _sub, DEFAULT_DB)
    add_report_parser(sub, _sub, DEFAULT_DB)

    demo = _sub(sub, "demo", "the main job on the bundled sample: serve the demo web, crawl, store, export, validate")
    demo.add_argument("--data", default="data", help="folder for the database, state and exports")
    demo.add_argument("--port", type=int, default=8765, help="port of the demo web (the same each run)")
    demo.set_defaults(func=cmd_demo)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the command line; return the exit status of the contract in `nianbao.exits`."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return exits.OK
    try:
        return int(args.func(args))
    except exits.CliError as exc:
        print(f"nianbao: {exc.message}", file=sys.stderr)
        return exc.status
    except KeyboardInterrupt:
        print("\nnianbao: interrupted — run the same command to resume", file=sys.stderr)
        return exits.INTERRUPTED
    except BrokenPipeError:
        return exits.OK
    except Exception as exc:
        if os.environ.get("NIANBAO_DEBUG"):
            raise
        from crawler.faults import raised_at

        print(f"nianbao: internal error: {type(exc).__name__}: {exc}{raised_at(exc)} (NIANBAO_DEBUG=1 for the "
              "traceback)", file=sys.stderr)  # fmt: skip
        return exits.INTERNAL


if __name__ == "__main__":
    sys.exit(main())
