-- A node's lease (?: namespace, node): epoch, start_ms, fence_ms, holder.
SELECT epoch, start_ms, fence_ms, holder FROM idloom_node WHERE namespace = ? AND node = ?
