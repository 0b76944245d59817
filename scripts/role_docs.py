"""Print a Markdown variables table per role from meta/argument_specs.yml.

README.md carries the output between the markers <!-- role-docs --> and <!-- /role-docs -->;
`python3 scripts/role_docs.py --write` refreshes it there.
"""
import pathlib
import re
import sys

import yaml

TOP = pathlib.Path(__file__).resolve().parent.parent
ROLES = ["server", "kernel_ppp", "modem", "mgetty", "callback", "ppp_server", "ip_forward", "client"]


def text(value):
    if isinstance(value, list):
        value = " ".join(value)
    value = re.sub(r"[OCMV]\(([^)]*)\)", r"`\1`", str(value))
    return value.replace("|", "\\|").replace("\n", " ")


def default(spec):
    if "default" not in spec:
        return "required" if spec.get("required") else ""
    return "`" + yaml.safe_dump(spec["default"], default_flow_style=True).strip().removesuffix("...").strip() + "`"


def role_table(role):
    path = TOP / "roles" / role / "meta" / "argument_specs.yml"
    if not path.exists():
        return ""
    spec = yaml.safe_load(path.read_text())["argument_specs"]["main"]
    out = [f"### `dialin.callback.{role}`", "", text(spec.get("short_description", "")), "",
           "| variable | type | default | description |", "| --- | --- | --- | --- |"]
    for name, opt in spec.get("options", {}).items():
        out.append(f"| `{name}` | {opt.get('type', 'str')} | {default(opt)} | {text(opt.get('description', ''))} |")
        for sub, sopt in (opt.get("options") or {}).items():
            out.append(f"| `{name}[].{sub}` | {sopt.get('type', 'str')} | {default(sopt)} | {text(sopt.get('description', ''))} |")
    return "\n".join(out) + "\n"


def main():
    tables = "\n".join(t for t in (role_table(r) for r in ROLES) if t)
    if "--write" in sys.argv:
        readme = TOP / "README.md"
        content = readme.read_text()
        new = re.sub(r"(<!-- role-docs -->\n).*?(<!-- /role-docs -->)",
                     lambda m: m.group(1) + "\n" + tables + "\n" + m.group(2), content, flags=re.S)
        readme.write_text(new)
    else:
        sys.stdout.write(tables)


if __name__ == "__main__":
    main()
