"""The API added after the minimal example, as a Python user writes it: CloudFront in front, guardrails,
MCP servers, a knowledge base and a raw section. Run by consumer.py against the installed wheel."""
import aws_cdk as cdk
import cdk_litellm as litellm

app = cdk.App()
stack = cdk.Stack(app, "Features")
platform = litellm.LiteLlmPlatform(
    stack, "LiteLlm",
    profile=litellm.LiteLlmDeploymentProfile.PRODUCTION,
    models=[litellm.LiteLlmModel.mock(name="mock")],
    cloud_front=litellm.LiteLlmCloudFrontOptions(enabled=True, origin_response_timeout=cdk.Duration.seconds(50)),
    config=litellm.LiteLlmConfigOptions(
        guardrails=[
            litellm.LiteLlmGuardrail.bedrock(
                name="pii", guardrail_identifier="ff6ujrregl1q", guardrail_version="1", mode=litellm.LiteLlmGuardrailMode.PRE_CALL,
            ),
            litellm.LiteLlmGuardrail.custom({
                "guardrail_name": "no-code-names",
                "litellm_params": {"guardrail": "litellm_content_filter", "mode": "pre_call",
                                   "blocked_words": [{"keyword": "nightingale", "action": "BLOCK"}]},
            }, needs_internet=False),
        ],
        mcp_servers=[litellm.LiteLlmMcpServer.streamable_http(name="wiki", url="https://wiki.example.com/mcp")],
        vector_stores=[litellm.LiteLlmVectorStore.bedrock_knowledge_base(name="handbook", knowledge_base_id="KB12345678")],
        sections={"prompts": [{"prompt_id": "greeting", "litellm_params": {"prompt_id": "greeting", "prompt_integration": "dotprompt"}}]},
    ),
)
