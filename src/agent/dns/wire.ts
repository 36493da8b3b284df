/**
 * The few bytes of a DNS query the server needs on its hot path, read straight off the wire
 * (RFC 1035 §4.1): the id, the RD bit, the one question as it was sent, and the EDNS0 payload
 * size (RFC 6891 §6.1.2). Pure and allocation-light: a query is looked up by its question's bytes,
 * so that a repeated question costs a copy of its cached answer, not a decode and an encode.
 *
 * Anything unusual (not a plain query, several questions, compression in the question, a record
 * other than one OPT in the additional section) reads as undefined, and the server takes its
 * general path (dns-packet) for it.
 */

export interface QueryHead {
  /**
   * Where the question section ends: it is bytes QUESTION_START to questionEnd, name, type and
   * class exactly as sent (echoed in the answer). An offset, not a subarray: a Buffer per query
   * costs more than the rest of reading it.
   */
  questionEnd: number
  /** The question type (1 A, 28 AAAA, 33 SRV, ...). */
  type: number
  /** The client's EDNS0 UDP payload size; undefined without an OPT record. */
  ednsPayload: number | undefined
}

/** The question section follows the 12-byte header. */
export const QUESTION_START = 12
const OPT = 41

/** The header flags byte 2: QR (0x80), opcode (0x78), AA, TC, RD (0x01). */
const QR_OR_OPCODE = 0xf8

export function readQueryHead(message: Buffer): QueryHead | undefined {
  if (message.length < QUESTION_START + 5) return undefined
  if ((message[2] as number) & QR_OR_OPCODE) return undefined // a response, or not a standard query
  const questions = message.readUInt16BE(4)
  const answers = message.readUInt16BE(6)
  const authorities = message.readUInt16BE(8)
  const additionals = message.readUInt16BE(10)
  if (questions !== 1 || answers !== 0 || authorities !== 0 || additionals > 1) return undefined

  let offset = QUESTION_START
  for (;;) {
    const length = message[offset]
    if (length === undefined) return undefined
    if (length === 0) break
    if (length > 63) return undefined // a compression pointer or a reserved label type
    offset += 1 + length
  }

  const questionEnd = offset + 5
  if (questionEnd > message.length) return undefined
  const type = message.readUInt16BE(offset + 1)
  let ednsPayload: number | undefined
  if (additionals === 1) {
    // The OPT pseudo-record: root name (one zero byte), type 41, class = payload size, TTL, RDLENGTH, RDATA.
    if (message[questionEnd] !== 0 || questionEnd + 11 > message.length) return undefined
    if (message.readUInt16BE(questionEnd + 1) !== OPT) return undefined
    ednsPayload = message.readUInt16BE(questionEnd + 3)
    if (questionEnd + 11 + message.readUInt16BE(questionEnd + 9) !== message.length) return undefined
  } else if (questionEnd !== message.length) {
    return undefined
  }

  return {ednsPayload, questionEnd, type}
}

/** A cached answer made the answer to this query: its id, and its RD bit echoed. */
export function answerFor(query: Buffer, cached: Buffer): Buffer {
  const reply = Buffer.allocUnsafe(cached.length)
  cached.copy(reply)
  reply[0] = query[0] as number
  reply[1] = query[1] as number
  reply[2] = ((cached[2] as number) & 0xfe) | ((query[2] as number) & 0x01)
  return reply
}
