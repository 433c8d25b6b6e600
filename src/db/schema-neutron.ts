/** Row types of the Neutron-subset tables (migration 0005-neutron). */
export interface NeutronTables {}
