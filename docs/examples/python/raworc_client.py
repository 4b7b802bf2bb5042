"""A Raworc client in Python, from stubs that protoc generates out of the repository's proto/.

It logs in, creates a scripted agent (if missing) and a session, watches the session until it is
READY, sends a message, prints the streamed reply, and deletes the session. Generate the stubs
first (Debian: apt-get install protobuf-compiler protobuf-compiler-grpc python3-grpcio
python3-protobuf), from the repository's root:

    mkdir -p /tmp/raworc-py
    protoc -I proto --python_out=/tmp/raworc-py --grpc_python_out=/tmp/raworc-py \\
      --plugin=protoc-gen-grpc_python=/usr/bin/grpc_python_plugin \\
      $(find proto/raworc proto/buf -name '*.proto')
    PYTHONPATH=/tmp/raworc-py python3 docs/examples/python/raworc_client.py \\
      --target 127.0.0.1:9000 --username admin --password "$(cat ~/.raworc/data/admin-password)"
"""

import argparse
import sys

import grpc
from raworc.v1 import agent_pb2, agent_pb2_grpc, auth_pb2, auth_pb2_grpc, common_pb2, event_pb2
from raworc.v1 import session_pb2, session_pb2_grpc


def ensure_agent(agents, metadata, namespace, name):
    """Creates a scripted agent that needs no model or API key; an existing one is kept."""
    spec = agent_pb2.AgentSpec(
        instructions="Greet the user briefly.",
        model=agent_pb2.ModelSpec(
            provider=agent_pb2.MODEL_PROVIDER_SCRIPTED,
            scripted=agent_pb2.ScriptedModel(
                turns=[agent_pb2.ScriptedTurn(steps=[agent_pb2.ScriptedStep(text="Hello from Raworc, "), agent_pb2.ScriptedStep(text="streamed to Python.")])]
            ),
        ),
    )
    agent = agent_pb2.Agent(metadata=common_pb2.ObjectMeta(namespace=namespace, name=name), spec=spec)
    try:
        agents.CreateAgent(agent_pb2.CreateAgentRequest(agent=agent), metadata=metadata)
    except grpc.RpcError as error:
        if error.code() != grpc.StatusCode.ALREADY_EXISTS:
            raise


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--target", default="127.0.0.1:9000", help="host:port of the control plane (cleartext HTTP/2)")
    parser.add_argument("--username", default="admin")
    parser.add_argument("--password", required=True)
    parser.add_argument("--namespace", default="default")
    parser.add_argument("--message", default="Hello!")
    args = parser.parse_args()

    with grpc.insecure_channel(args.target) as channel:
        token = auth_pb2_grpc.AuthServiceStub(channel).Login(auth_pb2.LoginRequest(username=args.username, password=args.password)).token
        # gRPC metadata keys are lower-case; grpcio refuses "Authorization".
        metadata = [("authorization", f"Bearer {token}")]
        ensure_agent(agent_pb2_grpc.AgentServiceStub(channel), metadata, args.namespace, "python-greeter")

        sessions = session_pb2_grpc.SessionServiceStub(channel)
        created = sessions.CreateSession(
            session_pb2.CreateSessionRequest(
                session=session_pb2.Session(metadata=common_pb2.ObjectMeta(namespace=args.namespace), spec=session_pb2.SessionSpec(agents=["python-greeter"]))
            ),
            metadata=metadata,
        ).session
        ref = common_pb2.ObjectRef(namespace=args.namespace, name=created.metadata.name)
        print(f"session {ref.namespace}/{ref.name} created", file=sys.stderr)

        watch = sessions.WatchSession(session_pb2.WatchSessionRequest(ref=ref), metadata=metadata, timeout=120)
        sent = None
        try:
            for response in watch:
                if response.WhichOneof("message") != "event":
                    continue
                event = response.event
                kind = event.WhichOneof("payload")
                if kind == "state_changed" and event.state_changed.to == event_pb2.SESSION_STATE_READY and sent is None:
                    sent = sessions.SendMessage(session_pb2.SendMessageRequest(ref=ref, text=args.message), metadata=metadata)
                elif kind == "text_delta" and sent is not None:
                    print(event.text_delta.text, end="", flush=True)
                elif kind in ("turn_completed", "turn_failed", "turn_cancelled") and sent is not None:
                    print()
                    if kind != "turn_completed":
                        print(f"turn ended: {kind} {getattr(event, kind).reason}", file=sys.stderr)
                        return 1
                    break
                elif kind == "state_changed" and event.state_changed.to == event_pb2.SESSION_STATE_FAILED:
                    print(f"session failed: {event.state_changed.message}", file=sys.stderr)
                    return 1
        finally:
            watch.cancel()
            sessions.DeleteSession(session_pb2.DeleteSessionRequest(ref=ref), metadata=metadata)
    return 0


if __name__ == "__main__":
    sys.exit(main())
