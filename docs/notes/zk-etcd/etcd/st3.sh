#!/bin/bash
ETCDCTL_API=3 etcdctl --endpoints=${1:-127.0.0.1:23381,127.0.0.1:23383,127.0.0.1:23385} endpoint status -w json 2>/dev/null | python3 -c "
import json,sys
for e in json.load(sys.stdin):
  d=e['Status'];h=d['header'];print('%s cluster_id=%x member_id=%x revision=%d header.raft_term=%d raftIndex=%d leader=%x'%(e['Endpoint'],h['cluster_id'],h['member_id'],h['revision'],h['raft_term'],d['raftIndex'],d['leader']))"
