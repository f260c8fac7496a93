// Shapes of what the server sends and of the transports' common contract, for
// the type checker only (DESIGN.md fixes the JSON; nothing here is bundled).

/**
 * A session model, as every REST route and the WebSocket hello return it
 * (DESIGN.md lists every field; these are the ones the views read, optional
 * where the code copes without them).
 */
export interface Session {
  id: string;
  state: string;
  name?: string;
  agent?: string;
  command?: string[];
  cwd?: string;
  state_detail?: string;
  pid?: number | null;
  exit_code?: number | null;
  created_at?: string;
  last_activity?: string;
  cols?: number;
  rows?: number;
  clients?: number;
  offset?: number;
  branch?: string | null;
  worktree_path?: string | null;
  [more: string]: unknown;
}

/** Where the Jupyter server is (transport/pageconfig.js). */
export interface Server {
  /** the server's base URL, ending in "/" */
  baseUrl: string;
  /** the same for WebSockets (ws: or wss:), ending in "/" */
  wsBase: string;
  /** Jupyter's token; empty: the login cookie authenticates */
  token: string;
}

/** A text message from the session socket (or the comm relay). */
export type ServerMessage =
  /** `offset`: where the output that follows starts */
  /**
   * `replay`: "bytes" (raw output from `offset`) or "snapshot" (`snapshot`, the screen
   * as escape sequences, stands for the output before `offset`); `dropped`: output
   * the view asked for has left the replay buffer
   */
  | {
      type: "hello"; session?: Session; offset?: number; stream?: string; reset?: boolean;
      replay?: "bytes" | "snapshot"; snapshot?: string; dropped?: boolean;
    }
  | { type: "state"; state: string; state_detail?: string }
  | { type: "session"; session: Session }
  | { type: "resize"; cols: number; rows: number }
  /** `state`: what the session is now; `reason`: "stopped", "deleted" or "exited" */
  | { type: "exit"; exit_code?: number | null; state?: string; reason?: string }
  /** output `from`..`to` is lost (it left the replay buffer) */
  | { type: "gap"; from: number; to: number }
  /** after a `gap`: the screen at `offset` as escape sequences; output continues there */
  | { type: "snapshot"; offset: number; snapshot: string }
  | { type: "error"; code?: string; message?: string }
  | { type: "pong" };

/** A message a view sends: resize, ack, ping. */
export interface ClientMessage {
  type: string;
  [more: string]: unknown;
}

export type ConnectionStatus = "connecting" | "connected" | "offline" | "failed" | "ended";

/** What a transport reports to its view (see transport/connection.js). */
export interface TransportHandlers {
  /** the offset to resume from, asked on every (re)connect */
  getOffset(): number;
  /** the stream id of that offset, from the last hello ("" before one) */
  getStream?(): string;
  onStatus(status: ConnectionStatus, why?: string): void;
  onMessage(msg: ServerMessage): void;
  /** raw PTY bytes, contiguous */
  onOutput(bytes: Uint8Array): void;
}

/** WebSocketTransport, CommTransport and AutoTransport all have this shape. */
export interface Transport {
  open(handlers: TransportHandlers): void;
  /** false when not connected */
  send(msg: ClientMessage): boolean;
  /** false when not connected */
  sendInput(bytes: Uint8Array<ArrayBuffer>): boolean;
  close(): void;
}

/** One event of ours from jupyter_server's event bus. */
export interface SessionEvent {
  schema_id: string;
  action: string;
  session_id: string;
  session?: Session | null;
  [more: string]: unknown;
}
