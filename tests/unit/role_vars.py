"""A role's vars or defaults file as the unit tests render templates with it: values that only read
the collection's shared names (the dialin.callback.shared_name filter) are resolved, the others kept
as written."""
import re
from pathlib import Path

import jinja2
import yaml

from ansible_collections.dialin.callback.plugins.filter.shared_name import shared_name

ROOT = Path(__file__).resolve().parents[2]
ENV = jinja2.Environment(undefined=jinja2.StrictUndefined)
ENV.filters['dialin.callback.shared_name'] = shared_name
ENV.filters['regex_replace'] = lambda value, pattern, repl: re.sub(pattern, repl, value)


def resolved(value):
    if isinstance(value, str) and 'dialin.callback.shared_name' in value:
        try:
            return ENV.from_string(value).render()
        except jinja2.UndefinedError:
            return value
    return value


def load_role_vars(path):
    """The YAML file at ``path`` (relative to the repository), shared names resolved."""
    data = yaml.safe_load((ROOT / path).read_text())
    return {k: resolved(v) for k, v in data.items()}
