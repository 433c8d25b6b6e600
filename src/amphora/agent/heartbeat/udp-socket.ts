import { createSocket, type Socket } from 'node:dgram';

/**
 * One UDP socket per address family for the whole process, shared by every agent in it: an amphora host
 * with 1,000 agents sends from 1 socket instead of holding 1,000.
 */
const shared = new Map<4 | 6, { socket: Socket; users: number }>();

export function acquireUdpSocket(family: 4 | 6): Socket {
  let entry = shared.get(family);
  if (!entry) {
    const socket = createSocket(family === 4 ? 'udp4' : 'udp6');
    // Unconnected UDP reports no delivery errors; anything else is reported by the send callback.
    socket.on('error', () => {});
    socket.unref();
    entry = { socket, users: 0 };
    shared.set(family, entry);
  }
  entry.users++;
  return entry.socket;
}

export function releaseUdpSocket(family: 4 | 6): void {
  const entry = shared.get(family);
  if (!entry || --entry.users > 0) return;
  shared.delete(family);
  entry.socket.close();
}
