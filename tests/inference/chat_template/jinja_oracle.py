"""Renders chat templates with Jinja2 the way Hugging Face transformers'
apply_chat_template does, as the oracle for jinja_oracle_test.cpp.

    /usr/bin/python3 jinja_oracle.py JOBS.json RESULTS.json

JOBS.json:    {"now": "2025-07-26T14:05:09",
               "templates": ["<template text>", ...],
               "jobs": [{"template": <index>, "context": {...}}, ...]}
RESULTS.json: {"jinja2": "<version>",
               "results": [{"ok": true, "text": "..."} or
                           {"ok": false, "kind": "raised"|"syntax"|"runtime", "message": "..."}, ...]}

The environment mirrors transformers' _compile_jinja_template: an
ImmutableSandboxedEnvironment with trim_blocks, lstrip_blocks and loopcontrols,
a {% generation %} block that renders its body, tojson as json.dumps with
ensure_ascii=False by default, and raise_exception / strftime_now globals
(strftime_now reads the fixed clock "now" so both sides print the same date).
Exit status 3: jinja2 cannot be imported.
"""

import datetime
import json
import sys

try:
    import jinja2
    import jinja2.ext
    import jinja2.nodes
    import jinja2.sandbox
except ImportError as error:  # the test turns this into a skip (or a failure under CI)
    sys.stderr.write("jinja_oracle: cannot import jinja2: %s\n" % error)
    sys.exit(3)


class RaisedByTemplate(jinja2.exceptions.TemplateError):
    """raise_exception(message): kept apart from Jinja's own errors."""


class GenerationBlock(jinja2.ext.Extension):
    """{% generation %}...{% endgeneration %}: transformers marks assistant
    tokens with it; outside return_assistant_tokens_mask it renders its body."""

    tags = {"generation"}

    def parse(self, parser):
        lineno = next(parser.stream).lineno
        body = parser.parse_statements(["name:endgeneration"], drop_needle=True)
        return jinja2.nodes.CallBlock(self.call_method("_render"), [], [], body).set_lineno(lineno)

    def _render(self, caller):
        return caller()


def make_environment(now):
    def raise_exception(message):
        raise RaisedByTemplate(message)

    def tojson(value, ensure_ascii=False, indent=None, separators=None, sort_keys=False):
        return json.dumps(value, ensure_ascii=ensure_ascii, indent=indent, separators=separators,
                          sort_keys=sort_keys)

    def strftime_now(format):
        return now.strftime(format)

    env = jinja2.sandbox.ImmutableSandboxedEnvironment(
        trim_blocks=True, lstrip_blocks=True, extensions=[GenerationBlock, jinja2.ext.loopcontrols])
    env.filters["tojson"] = tojson
    env.globals["raise_exception"] = raise_exception
    env.globals["strftime_now"] = strftime_now
    return env


def render_one(compiled, context):
    if isinstance(compiled, Exception):
        return {"ok": False, "kind": "syntax", "message": str(compiled)}
    try:
        return {"ok": True, "text": compiled.render(**context)}
    except RaisedByTemplate as error:
        return {"ok": False, "kind": "raised", "message": str(error)}
    except Exception as error:  # any other failure: the interpreter must fail too
        return {"ok": False, "kind": "runtime", "message": "%s: %s" % (type(error).__name__, error)}


def main():
    with open(sys.argv[1], encoding="utf-8") as f:
        request = json.load(f)
    now = datetime.datetime.strptime(request["now"].replace(" ", "T"), "%Y-%m-%dT%H:%M:%S")
    env = make_environment(now)
    compiled = []
    for text in request["templates"]:
        try:
            compiled.append(env.from_string(text))
        except Exception as error:
            compiled.append(error)
    results = [render_one(compiled[job["template"]], job["context"]) for job in request["jobs"]]
    with open(sys.argv[2], "w", encoding="utf-8") as f:
        json.dump({"jinja2": jinja2.__version__, "results": results}, f, ensure_ascii=True)


if __name__ == "__main__":
    main()
