import type { FastifyInstance } from 'fastify';
import type { ApiServices } from '../services.js';

/** Routes of this resource (to be written). */
export async function memberRoutes(_app: FastifyInstance, _services: ApiServices): Promise<void> {}
