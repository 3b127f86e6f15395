"""Runs the minimal example in Python (example.py) against the installed wheel and checks its template."""
import pathlib
import sys

example = pathlib.Path(__file__).resolve().parent / "example.py"

import aws_cdk as cdk  # noqa: E402
from aws_cdk.assertions import Template  # noqa: E402
import cdk_litellm  # noqa: E402

scope = {}
exec(compile(example.read_text(), str(example), "exec"), scope)
stack = scope.get("stack")
if not isinstance(stack, cdk.Stack):
    sys.exit("test/python/example.py must define `stack`")

template = Template.from_stack(stack)
resources = template.to_json().get("Resources", {})
print(f"cdk_litellm {cdk_litellm.__name__} imported from the wheel; the Python example synthesized {len(resources)} resources")

# The example must really deploy LiteLLM, not just import the module.
for kind in ["AWS::ECS::Service", "AWS::RDS::DBInstance", "AWS::ElasticLoadBalancingV2::LoadBalancer", "AWS::KMS::Key"]:
    template.resource_count_is(kind, 1)
# The serving task and the migration step's one-off task.
template.resource_count_is("AWS::ECS::TaskDefinition", 2)
template.resource_count_is("Custom::LiteLlmMigration", 1)
task = next(t for t in template.find_resources("AWS::ECS::TaskDefinition").values()
            if any(c["Name"] == "litellm" for c in t["Properties"]["ContainerDefinitions"]))
containers = {c["Name"]: c for c in task["Properties"]["ContainerDefinitions"]}
assert "litellm" in containers, f"no litellm container in {list(containers)}"
assert containers["litellm"]["PortMappings"][0]["ContainerPort"] == 4000
assert containers["litellm"]["Image"].endswith(":v" + cdk_litellm.LiteLlmImage.DEFAULT_VERSION), containers["litellm"]["Image"]
config = next(e["Value"] for e in containers["config"]["Environment"] if e["Name"] == "LITELLM_CONFIG_YAML")
assert "model_name: claude-sonnet" in config, config

# The API added after the minimal example (features.py), as a Python user writes it.
features = pathlib.Path(__file__).resolve().parent / "features.py"
scope = {}
exec(compile(features.read_text(), str(features), "exec"), scope)
template = Template.from_stack(scope["stack"])
template.resource_count_is("AWS::CloudFront::Distribution", 1)
template.resource_count_is("AWS::CloudFront::VpcOrigin", 1)
template.has_resource_properties("AWS::ElasticLoadBalancingV2::LoadBalancer", {"Scheme": "internal"})
statements = [s for p in template.find_resources("AWS::IAM::Policy").values() for s in p["Properties"]["PolicyDocument"]["Statement"]]
def resources_of(action):
    found = [s["Resource"] for s in statements if action in ([s["Action"]] if isinstance(s["Action"], str) else s["Action"])]
    assert len(found) == 1, f"{action}: {found}"
    return str(found[0])
assert "guardrail/ff6ujrregl1q" in resources_of("bedrock:ApplyGuardrail"), resources_of("bedrock:ApplyGuardrail")
assert "knowledge-base/KB12345678" in resources_of("bedrock:Retrieve"), resources_of("bedrock:Retrieve")
task = next(t for t in template.find_resources("AWS::ECS::TaskDefinition").values()
            if any(c["Name"] == "litellm" for c in t["Properties"]["ContainerDefinitions"]))
config = next(e["Value"] for c in task["Properties"]["ContainerDefinitions"] if c["Name"] == "config"
              for e in c["Environment"] if e["Name"] == "LITELLM_CONFIG_YAML")
for expected in ["guardrail_name: no-code-names", "guardrailIdentifier: ff6ujrregl1q", "wiki:", "vector_store_id: KB12345678", "prompt_id: greeting",
                 "mcp_xff_num_trusted_hops: 2"]:
    assert expected in config, f"{expected!r} not in the rendered config:\n{config}"
print("python features check passed: CloudFront, guardrails, MCP servers, a knowledge base and a raw section")
print("python consumer check passed")
