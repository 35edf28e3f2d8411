/**
 * Sharing between processes: share sockets (Unix `SOCK_SEQPACKET`, fds passed with SCM_RIGHTS,
 * peer uid checks, timeouts on every wait) and the offer protocol on them (the `vkshare/ipc`
 * export). `takeFd` (pidfd_getfd) and `OwnedFd` are in the main export.
 *
 * @example
 * ```ts
 * import { receiveOffer, ShareSocket } from "vkshare/ipc";
 *
 * using socket = await ShareSocket.connect("/run/user/1000/vkshare-x/vkshare.sock");
 * using offer = await receiveOffer(socket, { timeoutMs: 5000 });
 * console.log(offer.label, offer.memory?.descriptor.size);
 * ```
 *
 * @module
 */
export { ErrnoError, ProtocolError } from "../core/errors.ts";
export type { MemoryRange } from "../share/range.ts";
export { ACCESS_VERSION, AccessGrant, AccessOwner, AccessPeer } from "./access.ts";
export type {
  AccessAcquireOptions,
  AccessOptions,
  AccessReleaseOptions,
  AccessSync,
} from "./access.ts";
export { OFFER_VERSION, receiveOffer, sendOffer } from "./offer.ts";
export type { Offer, ReceivedExport, ReceivedOffer } from "./offer.ts";
export { peerCommand, scriptArgument } from "./peer.ts";
export {
  MAX_MESSAGE_BYTES,
  MAX_MESSAGE_FDS,
  ShareServer,
  ShareSocket,
  SOCKET_PROTOCOL_VERSION,
} from "./socket.ts";
export type {
  ListenOptions,
  PeerCredentials,
  Received,
  SecurityOptions,
  SocketAddress,
  WaitOptions,
} from "./socket.ts";
