/**
 * The NAT discovery wire format (reference/dataplane.md §3.4): protobuf messages of upstream's
 * package github.com/submariner-io/submariner/pkg/natdiscovery/proto, described to protobufjs
 * field by field so the bytes match a real Submariner gateway's.
 */
import protobuf from 'protobufjs/light.js'

const IPPortPair = {fields: {IP: {id: 1, type: 'string'}, port: {id: 2, type: 'int32'}}}
const EndpointDetails = {fields: {cluster_id: {id: 1, type: 'string'}, endpoint_id: {id: 2, type: 'string'}}}

const root = protobuf.Root.fromJSON({
  nested: {
    EndpointDetails,
    IPPortPair,
    ResponseType: {values: {MALFORMED: 4, NAT_DETECTED: 1, OK: 0, UNKNOWN_DST_CLUSTER: 2, UNKNOWN_DST_ENDPOINT: 3}},
    SubmarinerNATDiscoveryMessage: {
      fields: {
        request: {id: 2, type: 'SubmarinerNATDiscoveryRequest'},
        response: {id: 3, type: 'SubmarinerNATDiscoveryResponse'},
        version: {id: 1, type: 'int32'},
      },
      oneofs: {message: {oneof: ['request', 'response']}},
    },
    SubmarinerNATDiscoveryRequest: {
      fields: {
        receiver: {id: 3, type: 'EndpointDetails'},
        request_number: {id: 1, type: 'uint64'},
        sender: {id: 2, type: 'EndpointDetails'},
        using_dst: {id: 5, type: 'IPPortPair'},
        using_src: {id: 4, type: 'IPPortPair'},
      },
    },
    SubmarinerNATDiscoveryResponse: {
      fields: {
        dst_ip_nat_detected: {id: 7, type: 'bool'},
        received_src: {id: 8, type: 'IPPortPair'},
        receiver: {id: 4, type: 'EndpointDetails'},
        request_number: {id: 1, type: 'uint64'},
        response: {id: 2, type: 'ResponseType'},
        sender: {id: 3, type: 'EndpointDetails'},
        src_ip_nat_detected: {id: 5, type: 'bool'},
        src_port_nat_detected: {id: 6, type: 'bool'},
      },
    },
  },
})

const Message = root.lookupType('SubmarinerNATDiscoveryMessage')

export const ResponseType = {MALFORMED: 4, NAT_DETECTED: 1, OK: 0, UNKNOWN_DST_CLUSTER: 2, UNKNOWN_DST_ENDPOINT: 3} as const

export interface EndpointDetails {
  cluster_id: string
  endpoint_id: string
}

export interface IPPort {
  IP: string
  port: number
}

export interface NatRequest {
  request_number: number
  sender?: EndpointDetails
  receiver?: EndpointDetails
  using_src?: IPPort
  using_dst?: IPPort
}

export interface NatResponse {
  request_number: number
  response: number
  sender?: EndpointDetails
  receiver?: EndpointDetails
  src_ip_nat_detected?: boolean
  src_port_nat_detected?: boolean
  dst_ip_nat_detected?: boolean
  received_src?: IPPort
}

export interface NatMessage {
  version?: number
  request?: NatRequest
  response?: NatResponse
}

export function encodeNatMessage(message: NatMessage): Uint8Array {
  return Message.encode(Message.fromObject(message)).finish()
}

/** Decodes a datagram; throws on malformed input. */
export function decodeNatMessage(bytes: Uint8Array): NatMessage {
  const decoded = Message.toObject(Message.decode(bytes), {defaults: false, enums: Number, longs: Number}) as NatMessage
  return decoded
}
