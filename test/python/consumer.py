"""Runs the README's Python example against the installed wheel and checks its template."""
import pathlib
import re
import sys

readme = pathlib.Path(__file__).resolve().parents[2] / "README.md"
blocks = re.findall(r"```python\n(.*?)```", readme.read_text(), re.S)
if not blocks:
    sys.exit("README.md has no ```python example")

import aws_cdk as cdk  # noqa: E402
from aws_cdk.assertions import Template  # noqa: E402
import cdk_litellm  # noqa: E402

scope = {}
exec(compile(blocks[0], "README.md:python", "exec"), scope)
stack = scope.get("stack")
if not isinstance(stack, cdk.Stack):
    sys.exit("the README's Python example must define `stack`")

template = Template.from_stack(stack)
resources = template.to_json().get("Resources", {})
print(f"cdk_litellm {cdk_litellm.__name__} imported from the wheel; README example synthesized {len(resources)} resources")

# Placeholder platform: the model names reach the template.
outputs = template.to_json().get("Outputs", {})
assert any(o.get("Value") == "claude-sonnet" for o in outputs.values()), outputs
print("python consumer check passed")
