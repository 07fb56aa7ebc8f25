#!/bin/bash
# usage: start.sh NAME CFG  -> starts ZK in background, pid in NAME.pid, log in NAME.log
N=$1; CFG=$2
nohup java -Xmx256m -cp /usr/share/java/zookeeper.jar:/etc/zookeeper/conf -Dzookeeper.4lw.commands.whitelist='*' org.apache.zookeeper.server.quorum.QuorumPeerMain $CFG > ${IDLOOM_NOTES:-/tmp/idloom-notes}/zk/$N.log 2>&1 &
echo $! > ${IDLOOM_NOTES:-/tmp/idloom-notes}/zk/$N.pid
echo started $N pid $(cat ${IDLOOM_NOTES:-/tmp/idloom-notes}/zk/$N.pid)
