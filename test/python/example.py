# The minimal example in Python, as a user of the wheel writes it.
import aws_cdk as cdk
from cdk_litellm import LiteLlmModel, LiteLlmPlatform

app = cdk.App()
stack = cdk.Stack(app, "LiteLlm")

LiteLlmPlatform(stack, "LiteLlm",
    models=[LiteLlmModel.bedrock(name="claude-sonnet", model_id="us.anthropic.claude-sonnet-4-20250514-v1:0")],
)
