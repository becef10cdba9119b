// SSH tunnels to model servers on other machines: ~/.ssh/config hosts, the checked ssh argv, the supervisor.
export * from './sshConfig';
export * from './spec';
export * from './localPort';
export * from './supervisor';
