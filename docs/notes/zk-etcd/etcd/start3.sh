#!/bin/bash
# usage: start3.sh N STATE  (N=1..3; client port 2337N*..: m1=23381/23382 m2=23383/23384 m3=23385/23386)
N=$1; STATE=${2:-new}; C=$((23379+2*N)); PP=$((23380+2*N))
IC="m1=http://127.0.0.1:23382,m2=http://127.0.0.1:23384,m3=http://127.0.0.1:23386"
nohup etcd --name m$N --data-dir /tmp/idl-etcd3/m$N --listen-client-urls http://127.0.0.1:$C --advertise-client-urls http://127.0.0.1:$C \
  --listen-peer-urls http://127.0.0.1:$PP --initial-advertise-peer-urls http://127.0.0.1:$PP \
  --initial-cluster $IC --initial-cluster-token idl-tok3 --initial-cluster-state $STATE > ${IDLOOM_NOTES:-/tmp/idloom-notes}/etcd/m$N.log 2>&1 &
echo $! > ${IDLOOM_NOTES:-/tmp/idloom-notes}/etcd/m$N.pid; echo started m$N pid $(cat ${IDLOOM_NOTES:-/tmp/idloom-notes}/etcd/m$N.pid)
