"""Validates FHIR JSON files with fhir.resources (its R4B models).

Usage: validate.py FILE_OR_DIRECTORY...

Each file holds one resource (a Bundle's entries are validated with it).
Besides the models, checks the rules of FHIR's JSON form that the models
let through: no null, no empty string, no empty array or object.

Prints one line per file and a summary; exits 1 if any file fails, 2 on
bad usage.
"""

import json
import pathlib
import sys

from fhir.resources.R4B import get_fhir_model_class


def json_form_problems(value, path="$"):
    """Nulls, empty strings, empty arrays and objects, anywhere."""
    if value is None:
        yield f"{path}: null is not allowed"
    elif isinstance(value, str) and value == "":
        yield f"{path}: empty string"
    elif isinstance(value, list):
        if not value:
            yield f"{path}: empty array"
        for i, item in enumerate(value):
            yield from json_form_problems(item, f"{path}[{i}]")
    elif isinstance(value, dict):
        if not value:
            yield f"{path}: empty object"
        for key, item in value.items():
            yield from json_form_problems(item, f"{path}.{key}")


def validate(path):
    """The problems of one file, as text lines (none when valid)."""
    try:
        resource = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        return [f"not JSON: {error}"]
    if not isinstance(resource, dict) or "resourceType" not in resource:
        return ["not a FHIR resource: no resourceType"]
    problems = list(json_form_problems(resource))
    try:
        model = get_fhir_model_class(resource["resourceType"])
    except Exception as error:  # unknown resource type
        return problems + [f"unknown resourceType: {error}"]
    try:
        model.model_validate(resource)
    except Exception as error:
        problems.extend(str(error).splitlines())
    return problems


def main(args):
    if not args:
        print(__doc__, file=sys.stderr)
        return 2
    files = []
    for arg in map(pathlib.Path, args):
        files.extend(sorted(arg.glob("*.json")) if arg.is_dir() else [arg])
    if not files:
        print("no JSON file to validate", file=sys.stderr)
        return 2
    failed = 0
    for path in files:
        problems = validate(path)
        if problems:
            failed += 1
            print(f"INVALID {path}", file=sys.stderr)
            for line in problems:
                print(f"  {line}", file=sys.stderr)
        else:
            print(f"valid {path}")
    print(f"{len(files) - failed} valid, {failed} invalid (fhir.resources R4B)")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
