image_tag="v1"   # odd spacing
replicas=   4
