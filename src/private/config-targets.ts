/** A guardrail on Amazon Bedrock, as the task role and the network need to know it. */
export interface BedrockGuardrailTarget {
  /** A guardrail ARN, or an id to build one from (either may be a deploy-time token). */
  readonly identifier: string;
  /** The guardrail's ARN, when a `bedrock.CfnGuardrail` gives it. */
  readonly arn?: string;
  /** Its region; undefined: the stack's. */
  readonly region?: string;
  /** The guardrail profile it uses for cross-Region inference (an ARN, may be a token). */
  readonly profileArn?: string;
  /** Whether it uses a guardrail profile this app cannot read at synth (a token `crossRegionConfig`). */
  readonly profileUnknown?: boolean;
}

/** A knowledge base on Amazon Bedrock, as the task role and the network need to know it. */
export interface KnowledgeBaseTarget {
  /** The knowledge base id (may be a deploy-time token). */
  readonly knowledgeBaseId: string;
  /** Its region; undefined: the stack's. */
  readonly region?: string;
}
