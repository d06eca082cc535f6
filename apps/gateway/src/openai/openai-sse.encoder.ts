import type { inferenceV1 } from '@lemur/proto';

/** What every chunk of one streamed completion repeats. */
export interface StreamMeta {
  id: string;
  created: number;
  model: string;
}

/**
 * The `data:` events of one streamed completion, in OpenAI's chunk shape (`chat.completion.chunk` or
 * `text_completion`; the first chunk of each chat choice also carries the assistant role). Every streamed token is
 * encoded here, so the parts that do not change within a stream are serialized once and each event only escapes its
 * text: the same bytes as JSON.stringify of the chunk object, without building that object per token.
 */
export class SseChunkEncoder {
  private readonly head: string;
  private readonly started = new Set<number>();

  constructor(
    private readonly kind: 'chat' | 'completion',
    meta: StreamMeta,
  ) {
    const object = kind === 'chat' ? 'chat.completion.chunk' : 'text_completion';
    this.head = `data: {"id":${JSON.stringify(meta.id)},"created":${meta.created},"model":${JSON.stringify(meta.model)},"object":"${object}","choices":[{"index":`;
  }

  /** One event (with its blank-line terminator) for a message of the gRPC stream. */
  event(chunk: Pick<inferenceV1.GenerateStreamResponse, 'index' | 'delta' | 'finishReason'>): string {
    const finish = chunk.finishReason ? JSON.stringify(chunk.finishReason) : 'null';
    const text = JSON.stringify(chunk.delta);
    if (this.kind === 'completion') {
      return `${this.head}${chunk.index},"text":${text},"logprobs":null,"finish_reason":${finish}}]}\n\n`;
    }
    const first = !this.started.has(chunk.index);
    if (first) this.started.add(chunk.index);
    const delta = first ? `{"role":"assistant","content":${text}}` : `{"content":${text}}`;
    return `${this.head}${chunk.index},"delta":${delta},"logprobs":null,"finish_reason":${finish}}]}\n\n`;
  }
}
