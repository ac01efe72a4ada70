"""WS-Notification: WS-BaseNotification and WS-Topics, producer and consumer sides.

Both versions: OASIS WS-BaseNotification 1.3 / WS-Topics 1.3 (with WSRF 1.2) and
the 2004/06 drafts used by Globus Toolkit 4; a service speaks the one of its
dialect set.

- :class:`NotificationProducer`: mix into a service; resource properties that are
  topics, TerminationNotification, ``Subscribe``, ``GetCurrentMessage``, the topic
  set resource properties, :meth:`~NotificationProducer.notify` for other topics.
- :mod:`~gridware.container.wsn.subscription`: subscriptions as WS-Resources and the
  SubscriptionManager services (Pause/Resume/Renew/Unsubscribe, WS-RF lifetime).
- :mod:`~gridware.container.wsn.delivery`: asynchronous delivery, one bounded
  queue per consumer, retries, batches.
- :class:`NotificationListener`: a NotificationConsumer endpoint for blocking
  programs (HTTP or HTTPS, callbacks, signature checks).
- :mod:`~gridware.container.wsn.topics`: topics and topic expressions (Simple,
  Concrete, Full); :mod:`~gridware.container.wsn.faults`: the WSN faults.

Clients subscribe with :func:`gridware.clients.wsn.subscribe`.
"""

from gridware.container.wsn.consumer import Consumer, ListenerError, NotificationListener
from gridware.container.wsn.delivery import DeliveryPolicy
from gridware.container.wsn.faults import (
    InvalidFilterFault,
    InvalidMessageContentExpressionFault,
    InvalidProducerPropertiesExpressionFault,
    InvalidTopicExpressionFault,
    MultipleTopicsSpecifiedFault,
    NoCurrentMessageOnTopicFault,
    SubscribeCreationFailedFault,
    TopicExpressionDialectUnknownFault,
    TopicNotSupportedFault,
    UnacceptableInitialTerminationTimeFault,
    UnacceptableTerminationTimeFault,
    UnrecognizedPolicyRequestFault,
    UnsupportedPolicyRequestFault,
    WsnFault,
)
from gridware.container.wsn.messages import Notification
from gridware.container.wsn.producer import NotificationProducer
from gridware.container.wsn.subscription import (
    GT4SubscriptionManagerService,
    SubscriptionManagerService,
)
from gridware.container.wsn.topics import Topic, TopicExpression, TopicSet

__all__ = [
    "Consumer",
    "DeliveryPolicy",
    "GT4SubscriptionManagerService",
    "InvalidFilterFault",
    "InvalidMessageContentExpressionFault",
    "InvalidProducerPropertiesExpressionFault",
    "InvalidTopicExpressionFault",
    "ListenerError",
    "MultipleTopicsSpecifiedFault",
    "NoCurrentMessageOnTopicFault",
    "Notification",
    "NotificationListener",
    "NotificationProducer",
    "SubscribeCreationFailedFault",
    "SubscriptionManagerService",
    "Topic",
    "TopicExpression",
    "TopicExpressionDialectUnknownFault",
    "TopicNotSupportedFault",
    "TopicSet",
    "UnacceptableInitialTerminationTimeFault",
    "UnacceptableTerminationTimeFault",
    "UnrecognizedPolicyRequestFault",
    "UnsupportedPolicyRequestFault",
    "WsnFault",
]
