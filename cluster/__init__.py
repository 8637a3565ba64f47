"""psflow.cluster: the only package that imports ray. Cluster configs, launching and
connecting to Ray, PS and worker actors, and the distributed runtime behind
`tf.Session(cluster)`."""
