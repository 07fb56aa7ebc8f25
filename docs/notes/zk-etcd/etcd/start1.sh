#!/bin/bash
# usage: start1.sh DATADIR [extra flags]  single member "e1" client 23379 peer 23380
D=$1; shift
nohup etcd --name e1 --data-dir $D --listen-client-urls http://127.0.0.1:23379 --advertise-client-urls http://127.0.0.1:23379 \
  --listen-peer-urls http://127.0.0.1:23380 --initial-advertise-peer-urls http://127.0.0.1:23380 \
  --initial-cluster e1=http://127.0.0.1:23380 --initial-cluster-token idl-tok --initial-cluster-state new "$@" > ${IDLOOM_NOTES:-/tmp/idloom-notes}/etcd/e1.log 2>&1 &
echo $! > ${IDLOOM_NOTES:-/tmp/idloom-notes}/etcd/e1.pid; echo started e1 pid $(cat ${IDLOOM_NOTES:-/tmp/idloom-notes}/etcd/e1.pid)
