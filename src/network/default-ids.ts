/** The fixed ids of devstack's default networks (default-networks.ts creates them at every start). */
export const DEFAULT_NETWORK_IDS = {
  private: 'ec1357b8-9a3f-4afa-87a2-f644d28accdb',
  privateSubnet: '7ff6be40-0bf2-4446-a5dd-c4094df14257',
  public: '861b7f9b-5e1b-4225-ad5c-c2bea21519ba',
  publicSubnet: 'ccbd5b61-d3c2-4586-81aa-16163ef77089',
} as const;
