"""Calls one unary gRPC method with Python's grpcio, for the cross-language interop test.

The schema comes from a serialized FileDescriptorSet (no generated Python code), so the
script works with whatever API the server has. It prints one JSON object on stdout:
{"ok": true, "response": {...}} or {"ok": false, "code": "UNAUTHENTICATED", "details": "..."}.

Usage: grpc_client.py --descriptor-set FILE --target HOST:PORT --method pkg.Service/Method
                      [--data JSON] [--header "name: value"]...
"""

import argparse
import json
import sys

import grpc
from google.protobuf import descriptor_pb2, descriptor_pool, json_format, message_factory


def message_class(pool, descriptor):
    # GetMessageClass arrived in protobuf 4.22; Debian 12 ships 4.21, which has only MessageFactory.
    if hasattr(message_factory, "GetMessageClass"):
        return message_factory.GetMessageClass(descriptor)
    return message_factory.MessageFactory(pool).GetPrototype(descriptor)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--descriptor-set", required=True)
    parser.add_argument("--target", required=True)
    parser.add_argument("--method", required=True)
    parser.add_argument("--data", default="{}")
    parser.add_argument("--header", action="append", default=[])
    parser.add_argument("--timeout", type=float, default=30.0)
    args = parser.parse_args()

    descriptor_set = descriptor_pb2.FileDescriptorSet()
    with open(args.descriptor_set, "rb") as f:
        descriptor_set.ParseFromString(f.read())
    pool = descriptor_pool.DescriptorPool()
    for file_proto in descriptor_set.file:  # dependencies come first
        pool.Add(file_proto)

    service_name, method_name = args.method.split("/")
    method = pool.FindServiceByName(service_name).FindMethodByName(method_name)
    request_class = message_class(pool, method.input_type)
    response_class = message_class(pool, method.output_type)
    request = json_format.Parse(args.data, request_class())
    metadata = [tuple(part.strip() for part in h.split(":", 1)) for h in args.header]

    # The server is local: an http_proxy in the environment must not capture the call.
    with grpc.insecure_channel(args.target, options=[("grpc.enable_http_proxy", 0)]) as channel:
        call = channel.unary_unary(
            "/" + args.method,
            request_serializer=lambda m: m.SerializeToString(),
            response_deserializer=response_class.FromString,
        )
        try:
            response = call(request, metadata=metadata, timeout=args.timeout)
        except grpc.RpcError as error:
            json.dump({"ok": False, "code": error.code().name, "details": error.details()}, sys.stdout)
            return
    json.dump({"ok": True, "response": json_format.MessageToDict(response)}, sys.stdout)


if __name__ == "__main__":
    main()
